// --plugin lib.so: user ops registered from a shared library. The library exports
//   extern "C" int ingot_register_ops(ingot::OpRegistry* registry, char* error, size_t size);
// returning 0 on success (or non-zero with a message in `error`); see examples/custom_op.
#include <dlfcn.h>

#include "tools/commands.h"

namespace ingot::cli {

Status load_plugins(const std::vector<std::string>& paths) {
  using RegisterFn = int (*)(OpRegistry*, char*, std::size_t);
  for (const std::string& path : paths) {
    const std::string what = "load plugin " + quote(path);
    // The handle is never closed: the registered ops point into the library until exit.
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      return io_error(what + ": it must be a loadable shared library, got: " + (why ? why : "unknown error"));
    }
    auto fn = reinterpret_cast<RegisterFn>(dlsym(handle, "ingot_register_ops"));
    if (fn == nullptr) {
      return bad_input(what + ": it must export extern \"C\" ingot_register_ops, got no such symbol");
    }
    char error[1024] = {};
    if (fn(&default_registry(), error, sizeof error) != 0) {
      error[sizeof error - 1] = '\0';
      return bad_input(what + ": ingot_register_ops failed: " + (error[0] ? error : "no message"));
    }
  }
  return {};
}

}  // namespace ingot::cli
