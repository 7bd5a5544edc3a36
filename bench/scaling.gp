# How each cost of the daemon grows with the device count, from the CSV of
# `daemon_bench --scaling --csv FILE` (docs/benchmarks.md, "How cost grows").
# Usage: gnuplot -c bench/scaling.gp IN.csv OUT.png
# Log-log panels, one per cost: `large` (mdev vGPUs on VFs) and
# `passthrough` (whole GPUs) against the advertised device count; the grey
# dashed line is linear growth through the first `large` point (slope 1), so
# a cost that grows faster than the device count climbs away from it. Start
# and rescan also show CPU time, which a loaded machine does not inflate.
if (ARGC < 2) {
  print "usage: gnuplot -c bench/scaling.gp IN.csv OUT.png"
  exit status 2
}
in = ARG1
set terminal pngcairo size 1500,900 font "DejaVu Sans,10"
set output ARG2
set datafile separator ","
set datafile columnheaders
set logscale xy
set grid
set key top left
set xlabel "advertised devices"
set style data linespoints

is_large(v) = strcol(1) eq "large" ? v : NaN
is_pt(v) = strcol(1) eq "passthrough" ? v : NaN

# Linear reference through the first data row (the smallest `large` host).
x0 = 0
y0 = 0
ref(col) = sprintf("stats in every ::0::0 using %d nooutput", col)

set multiplot layout 2,3 title "vgpu-device-plugin: cost against host size (".in.")"

do for [panel in "6 7 9 10 12 13"] {
  col = int(panel)
  eval ref(4)
  x0 = STATS_min
  eval ref(col)
  y0 = STATS_min
  if (col == 6) { set title "start -> every resource registered"; set ylabel "ms" }
  if (col == 7) { set title "RSS after start"; set ylabel "MiB" }
  if (col == 9) { set title "rescan, nothing changed (in process)"; set ylabel "ms" }
  if (col == 10) { set title "one device unhealthy -> kubelet sees it"; set ylabel "ms" }
  if (col == 12) { set title "ListAndWatch message (biggest resource)"; set ylabel "bytes" }
  if (col == 13) { set title "Allocate own cost, p50"; set ylabel "us" }
  if (col == 9) {
    plot in using 4:(is_large($8)) title "large: HostSignature" lw 2, \
         in using 4:(is_large($9)) title "large: Discover + BuildPools" lw 2, \
         in using 4:(is_large($15)) title "large: same, CPU" lw 2, \
         in using 4:(is_pt($8)) title "passthrough: HostSignature" lw 2, \
         in using 4:(is_pt($9)) title "passthrough: Discover + BuildPools" lw 2, \
         in using 4:(is_pt($15)) title "passthrough: same, CPU" lw 2, \
         y0 * x / x0 title "linear" lc rgb "grey" dt 2
  } else {
    if (col == 10) {
      plot in using 4:(is_large($10)) title "large: down" lw 2, \
           in using 4:(is_large($11)) title "large: up" lw 2, \
           in using 4:(is_pt($10)) title "passthrough: down" lw 2, \
           in using 4:(is_pt($11)) title "passthrough: up" lw 2, \
           y0 * x / x0 title "linear" lc rgb "grey" dt 2
    } else {
      if (col == 12) {
        plot in using 4:(is_large(column(col))) title "large" lw 2, \
             in using 4:(is_pt(column(col))) title "passthrough" lw 2, \
             y0 * x / x0 title "linear" lc rgb "grey" dt 2, \
             4194304 title "gRPC default limit, 4 MiB" lc rgb "red" dt 3
      } else {
        if (col == 13) {
          plot in using 4:(is_large(column(col))) title "large" lw 2, \
               in using 4:(is_pt(column(col))) title "passthrough" lw 2, \
               20 title "goal, 20 us" lc rgb "red" dt 3
        } else {
          if (col == 6) {
            plot in using 4:(is_large($6)) title "large: wall" lw 2, \
                 in using 4:(is_large($14)) title "large: daemon CPU" lw 2, \
                 in using 4:(is_pt($6)) title "passthrough: wall" lw 2, \
                 in using 4:(is_pt($14)) title "passthrough: daemon CPU" lw 2, \
                 y0 * x / x0 title "linear" lc rgb "grey" dt 2
          } else {
            plot in using 4:(is_large(column(col))) title "large" lw 2, \
                 in using 4:(is_pt(column(col))) title "passthrough" lw 2, \
                 y0 * x / x0 title "linear" lc rgb "grey" dt 2
          }
        }
      }
    }
  }
}
unset multiplot
