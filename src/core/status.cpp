#include "ingot/status.h"

namespace ingot {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::ok: return "ok";
    case ErrorKind::usage: return "usage error";
    case ErrorKind::bad_input: return "bad input";
    case ErrorKind::verification: return "verification failed";
    case ErrorKind::unsupported: return "unsupported";
    case ErrorKind::io: return "i/o error";
    case ErrorKind::internal: return "internal error";
    case ErrorKind::limits: return "does not fit the target";
  }
  return "unknown error";
}

Status& Status::add_context(const std::string& context) & {
  if (!ok() && !context.empty()) message_ = context + ": " + message_;
  return *this;
}

std::string quote(const std::string& name) { return "'" + name + "'"; }

}  // namespace ingot
