// This process's rank and the communicator's size (the MPI calls' out-parameters, as values).
#pragma once

#include <mpi.h>

namespace softmaxkit::mpi_detail {

inline int rank_of(MPI_Comm comm) {
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  return rank;
}
inline int size_of(MPI_Comm comm) {
  int size = 0;
  MPI_Comm_size(comm, &size);
  return size;
}

}  // namespace softmaxkit::mpi_detail
