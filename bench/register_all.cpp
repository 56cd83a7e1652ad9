// The one list of benchmark families; each bench_<kernel>.cpp provides its register function.
namespace softmaxkit::bench {
void register_exp_benchmarks();
void register_row_benchmarks();
void register_loss_gradient_benchmarks();
void register_loss_gradient_csr_benchmarks();
void register_csr_transposed_product_benchmarks();
void register_libsvm_read_benchmarks();
void register_memory_benchmarks();
void register_compute_benchmarks();
}  // namespace softmaxkit::bench

void register_all_benchmarks() {
  softmaxkit::bench::register_exp_benchmarks();
  softmaxkit::bench::register_row_benchmarks();
  softmaxkit::bench::register_loss_gradient_benchmarks();
  softmaxkit::bench::register_loss_gradient_csr_benchmarks();
  softmaxkit::bench::register_csr_transposed_product_benchmarks();
  softmaxkit::bench::register_libsvm_read_benchmarks();
  softmaxkit::bench::register_memory_benchmarks();
  softmaxkit::bench::register_compute_benchmarks();
}
