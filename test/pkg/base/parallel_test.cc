#include "pkg/base/parallel.h"

#include <atomic>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace vgpu {
namespace {

TEST(ParallelTest, EvenBoundsMakesWorkersChunksCappedByItems) {
  EXPECT_EQ(EvenBounds(0, 4), std::vector<size_t>({0}));
  EXPECT_EQ(EvenBounds(3, 4), std::vector<size_t>({0, 1, 2, 3}));
  EXPECT_EQ(EvenBounds(10, 4), std::vector<size_t>({0, 3, 6, 8, 10}));
  EXPECT_EQ(EvenBounds(10, 0), std::vector<size_t>({0, 10}));
  EXPECT_EQ(EvenBounds(10, -2), std::vector<size_t>({0, 10}));
}

TEST(ParallelTest, ChunksCoverEveryItemOnce) {
  for (size_t n : {0u, 1u, 5u, 7u, 64u, 1001u}) {
    for (int workers : {1, 2, 3, 4, 9}) {
      const std::vector<size_t> bounds = EvenBounds(n, workers);
      std::vector<std::pair<size_t, size_t>> ranges(bounds.size() - 1);
      std::vector<std::atomic<int>> seen(n);
      ForEachChunk(bounds, [&](size_t chunk, size_t begin, size_t end) {
        ranges[chunk] = {begin, end};
        for (size_t i = begin; i < end; ++i) seen[i]++;
      });
      for (size_t i = 0; i < n; ++i) EXPECT_EQ(seen[i], 1) << n << " " << i;
      for (size_t c = 0; c < ranges.size(); ++c) {
        EXPECT_EQ(ranges[c].first, bounds[c]);
        EXPECT_EQ(ranges[c].second, bounds[c + 1]);
        EXPECT_LE(ranges[c].second - ranges[c].first, n / ranges.size() + 1);
      }
    }
  }
}

TEST(ParallelTest, MovedBoundariesAndEmptyChunksAreHonoured) {
  // A caller moved the second boundary onto the third: chunk 1 is empty.
  std::vector<std::atomic<int>> calls(3);
  std::vector<std::pair<size_t, size_t>> ranges(3);
  ForEachChunk({0, 6, 6, 9}, [&](size_t chunk, size_t begin, size_t end) {
    calls[chunk]++;
    ranges[chunk] = {begin, end};
  });
  EXPECT_EQ(calls[0], 1);
  EXPECT_EQ(calls[1], 0);
  EXPECT_EQ(calls[2], 1);
  EXPECT_EQ(ranges[0], std::make_pair(size_t{0}, size_t{6}));
  EXPECT_EQ(ranges[2], std::make_pair(size_t{6}, size_t{9}));
}

TEST(ParallelTest, FirstChunkRunsOnTheCallerAndOthersAtOnce) {
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<std::thread::id> ids(3);
  std::atomic<int> started{0};
  ForEachChunk(EvenBounds(3, 3), [&](size_t chunk, size_t, size_t) {
    ids[chunk] = std::this_thread::get_id();
    // Every chunk waits until all have started: run one after another,
    // the chunks would never get past this.
    started++;
    while (started.load() < 3) std::this_thread::yield();
  });
  EXPECT_EQ(ids[0], caller);
  EXPECT_EQ(std::set<std::thread::id>(ids.begin(), ids.end()).size(), 3u);
}

TEST(ParallelTest, DefaultWorkersIsBetweenOneAndFour) {
  EXPECT_GE(DefaultWorkers(), 1);
  EXPECT_LE(DefaultWorkers(), 4);
}

}  // namespace
}  // namespace vgpu
