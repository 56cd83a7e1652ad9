// Umbrella header: everything softmaxkit offers.
#pragma once

#include "softmaxkit/error.hpp"
#include "softmaxkit/isa.hpp"
#include "softmaxkit/kernels.hpp"
#include "softmaxkit/matrix.hpp"
#include "softmaxkit/openblas_core.hpp"
#include "softmaxkit/reference.hpp"
#include "softmaxkit/regression.hpp"
