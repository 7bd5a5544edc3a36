// Table: left-aligned text columns for vgpuctl's human-readable output.
// Columns are separated by two spaces; the last column is not padded, so
// long reasons do not widen the table. Not thread-safe.
#ifndef VGPU_CMD_VGPUCTL_TABLE_H_
#define VGPU_CMD_VGPUCTL_TABLE_H_

#include <string>
#include <vector>

namespace vgpu::vgpuctl {

class Table {
 public:
  explicit Table(std::vector<std::string> headers)
      : headers_(std::move(headers)) {}

  // Missing trailing cells print empty; extra cells are ignored.
  void AddRow(std::vector<std::string> cells) {
    cells.resize(headers_.size());
    rows_.push_back(std::move(cells));
  }
  bool empty() const { return rows_.empty(); }

  // Header line plus one line per row, each ending in "\n".
  std::string Render() const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace vgpu::vgpuctl

#endif  // VGPU_CMD_VGPUCTL_TABLE_H_
