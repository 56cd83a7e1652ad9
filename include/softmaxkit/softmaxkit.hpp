// Umbrella header: everything softmaxkit offers.
#pragma once

#include "softmaxkit/csr.hpp"
#include "softmaxkit/data.hpp"
#include "softmaxkit/error.hpp"
#include "softmaxkit/isa.hpp"
#include "softmaxkit/kernels.hpp"
#include "softmaxkit/matrix.hpp"
#include "softmaxkit/metric.hpp"
#include "softmaxkit/model.hpp"
#include "softmaxkit/model_file.hpp"
#include "softmaxkit/model_selection.hpp"
#include "softmaxkit/openblas_core.hpp"
#include "softmaxkit/reference.hpp"
#include "softmaxkit/regression.hpp"
#include "softmaxkit/solvers.hpp"
