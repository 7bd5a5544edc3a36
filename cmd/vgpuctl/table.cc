#include "cmd/vgpuctl/table.h"

#include <algorithm>

namespace vgpu::vgpuctl {
namespace {

void AppendLine(const std::vector<std::string>& cells,
                const std::vector<size_t>& widths, std::string& out) {
  std::string line;
  for (size_t i = 0; i < cells.size(); ++i) {
    line += cells[i];
    if (i + 1 < cells.size()) line.append(widths[i] - cells[i].size() + 2, ' ');
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  out += line;
  out += '\n';
}

}  // namespace

std::string Table::Render() const {
  std::vector<size_t> widths(headers_.size());
  for (size_t i = 0; i < headers_.size(); ++i) widths[i] = headers_[i].size();
  for (const auto& row : rows_) {
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string out;
  AppendLine(headers_, widths, out);
  for (const auto& row : rows_) AppendLine(row, widths, out);
  return out;
}

}  // namespace vgpu::vgpuctl
