// SPDX-License-Identifier: GPL-2.0-only
#include "cross_tools.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <unistd.h>

namespace rvtramp::test {
namespace {
std::string temp_dir() {
  char templ[] = "/tmp/rvtramp-unit-XXXXXX";
  if (!mkdtemp(templ))
    throw std::runtime_error("mkdtemp failed");
  return templ;
}
void run(const std::string &cmd) {
  if (std::system(cmd.c_str()) != 0)
    throw std::runtime_error("command failed: " + cmd);
}
} // namespace

std::optional<std::string> cross_tools_missing() {
  const std::string as = RISCV_AS, objcopy = RISCV_OBJCOPY;
  if (as.empty() || as.find("NOTFOUND") != std::string::npos)
    return "riscv64-linux-gnu-as not found (install binutils-riscv64-linux-gnu)";
  if (objcopy.empty() || objcopy.find("NOTFOUND") != std::string::npos)
    return "riscv64-linux-gnu-objcopy not found";
  return std::nullopt;
}

std::vector<uint8_t> read_file(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::string assemble_object(const std::string &source, const std::string &march) {
  const std::string dir = temp_dir();
  {
    std::ofstream s(dir + "/t.S");
    s << source << "\n";
  }
  const std::string abi = march.rfind("rv32", 0) == 0 ? "-mabi=ilp32" : "-mabi=lp64";
  run(std::string(RISCV_AS) + " -march=" + march + " " + abi + " " + dir + "/t.S -o " + dir + "/t.o");
  return dir + "/t.o";
}

std::vector<uint8_t> assemble_text(const std::string &source, const std::string &march) {
  const std::string obj = assemble_object(source, march);
  const std::string bin = obj + ".bin";
  run(std::string(RISCV_OBJCOPY) + " -O binary -j .text " + obj + " " + bin);
  return read_file(bin);
}

} // namespace rvtramp::test
