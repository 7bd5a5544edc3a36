#include "cmd/common/flag_names.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/flags/reflection.h"

namespace vgpu::cmd {

std::vector<char*> NormalizeFlags(int argc, char** argv,
                                  std::vector<std::string>& storage) {
  storage.assign(argv, argv + argc);
  for (size_t i = 1; i < storage.size(); ++i) {
    std::string& arg = storage[i];
    if (arg == "--") break;
    if (arg.size() < 3 || arg.compare(0, 2, "--") != 0) continue;
    size_t end = arg.find('=');
    if (end == std::string::npos) end = arg.size();
    std::replace(arg.begin() + 2, arg.begin() + end, '-', '_');
    std::string name = arg.substr(2, end - 2);
    bool negated = name.rfind("no", 0) == 0 &&
                   absl::FindCommandLineFlag(name.substr(2)) != nullptr;
    if (absl::FindCommandLineFlag(name) == nullptr && !negated &&
        name != "help" && name != "helpfull" && name != "helpshort" &&
        name != "version") {
      std::fprintf(stderr, "%s: unknown flag %s (see --help)\n", argv[0],
                   std::string(argv[i], std::strcspn(argv[i], "=")).c_str());
      std::exit(1);
    }
  }
  std::vector<char*> out;
  for (std::string& s : storage) out.push_back(s.data());
  return out;
}

}  // namespace vgpu::cmd
