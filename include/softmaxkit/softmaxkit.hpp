// Umbrella header: everything softmaxkit offers.
#pragma once

#include "softmaxkit/error.hpp"
#include "softmaxkit/isa.hpp"
#include "softmaxkit/kernels.hpp"
#include "softmaxkit/reference.hpp"
