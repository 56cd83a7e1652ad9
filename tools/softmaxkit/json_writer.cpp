#include "json_writer.hpp"

#include <cmath>
#include <cstdio>

namespace softmaxkit::cli {
namespace {

std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace

void JsonObject::key(const std::string& name) {
  if (!body_.empty()) body_ += ", ";
  body_ += quoted(name) + ": ";
}

void JsonObject::add(const std::string& name, double value) {
  key(name);
  if (!std::isfinite(value)) {
    body_ += "null";  // JSON has no NaN or infinity
    return;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  body_ += text;
}

void JsonObject::add(const std::string& name, long long value) {
  key(name);
  body_ += std::to_string(value);
}

void JsonObject::add(const std::string& name, const std::string& value) {
  key(name);
  body_ += quoted(value);
}

void JsonObject::add_bool(const std::string& name, bool value) {
  key(name);
  body_ += value ? "true" : "false";
}

void JsonObject::add_raw(const std::string& name, const std::string& json) {
  key(name);
  body_ += json;
}

}  // namespace softmaxkit::cli
