// Runs a test body once per ISA this CPU supports, through the public dispatcher.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "softmaxkit/isa.hpp"

#define SOFTMAXKIT_FOR_EACH_ISA(isa_variable)                           \
  for (::softmaxkit::Isa isa_variable : ::softmaxkit::supported_isas()) \
    if (::softmaxkit::ScopedIsa scoped_isa_guard{isa_variable}; true)   \
      if (INFO("isa = " << ::softmaxkit::to_string(isa_variable)); true)
