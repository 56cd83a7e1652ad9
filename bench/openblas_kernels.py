"""The bench scripts' OpenBLAS kernels: every side of a comparison on the same ones.

scikit-learn, numpy and scipy run their matrix products on the process's OpenBLAS, and so do the
softmaxkit binding and the bench binaries this process starts. On a CPU that Debian's OpenBLAS
0.3.21 does not know (an Emerald Rapids Xeon) it loads its generic Prescott kernels, about 2x
slower, while the softmaxkit command re-runs itself on kernels that suit the CPU: a ratio would
then measure the kernels. numpy has loaded OpenBLAS by the time a script runs, so only a new
process can switch: run_on_suitable_kernels() runs the script again with OPENBLAS_CORETYPE set to
the library's remedy (openblas_core_remedy()), as the command does; a value the user set, even an
empty one, is kept.
"""

import os
import sys
import warnings


def run_on_suitable_kernels(build_dir=None):
    """Re-executes this script with OPENBLAS_CORETYPE set when OpenBLAS's kernels are older than
    the CPU and the variable is unset; returns otherwise (also when the binding is not importable:
    then nothing tells which kernels suit). build_dir: where to find the binding (its python/
    folder) besides PYTHONPATH."""
    if "OPENBLAS_CORETYPE" in os.environ:
        return
    if build_dir is not None and os.path.join(build_dir, "python") not in sys.path:
        sys.path.append(os.path.join(build_dir, "python"))
    try:
        with warnings.catch_warnings():
            # import softmaxkit's own warning about these kernels: acted on here.
            warnings.simplefilter("ignore", RuntimeWarning)
            from softmaxkit import _core
    except ImportError:
        return
    core = _core.openblas_core()
    if core["suits_cpu"] or not core["remedy"]:
        return
    print(f"{os.path.basename(sys.argv[0])}: OpenBLAS runs its {core['name']} kernels, older than "
          f"this CPU; running again with OPENBLAS_CORETYPE={core['remedy']} so that every side of "
          "the comparison uses the same kernels", file=sys.stderr)
    os.environ["OPENBLAS_CORETYPE"] = core["remedy"]
    sys.stdout.flush()
    sys.stderr.flush()
    # sys.orig_argv keeps the interpreter's own options (-u, -X ...) and the script's arguments.
    os.execv(sys.executable, [sys.executable] + sys.orig_argv[1:])
