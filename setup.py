"""Build the compiled kernels of fastsgd.

OpenMP is detected by compiling and linking a small test program; without it the same
sources build serially (with a loud warning). Flags: -O3, no -march=native and no
-ffast-math, so finiteness checks stay real and wheels run on any x86-64 CPU.
"""
import os
import shutil
import sys
import tempfile
import textwrap

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

OPENMP_TEST = textwrap.dedent(
    """
    #include <omp.h>
    int main(void) {
        int n = 0;
        #pragma omp parallel reduction(+:n)
        n += 1;
        return n > 0 ? 0 : 1;
    }
    """
)


def openmp_flags(compiler):
    """(compile_args, link_args) that build OpenMP code with this compiler, or None."""
    if os.environ.get("FASTSGD_DISABLE_OPENMP"):
        return None
    candidates = [(["-fopenmp"], ["-fopenmp"]), (["/openmp"], [])]
    if sys.platform == "darwin":
        candidates.insert(0, (["-Xpreprocessor", "-fopenmp"], ["-lomp"]))
    tmp = tempfile.mkdtemp()
    try:
        src = os.path.join(tmp, "omp_test.c")
        with open(src, "w") as f:
            f.write(OPENMP_TEST)
        for cflags, ldflags in candidates:
            try:
                objects = compiler.compile([src], output_dir=tmp, extra_postargs=cflags)
                compiler.link_executable(objects, os.path.join(tmp, "omp_test"),
                                         extra_postargs=ldflags)
                return cflags, ldflags
            except Exception:
                continue
        return None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


class BuildExt(build_ext):
    def build_extensions(self):
        flags = openmp_flags(self.compiler)
        if flags is None:
            bar = "=" * 78
            print(f"\n{bar}\nWARNING: no working OpenMP found; fastsgd's kernels are built "
                  f"SERIAL.\nInstall an OpenMP runtime (libgomp / libomp) and rebuild for "
                  f"multi-core training.\n{bar}\n", file=sys.stderr)
            cflags, ldflags = ["-fopenmp-simd"], []
        else:
            cflags, ldflags = flags
        for ext in self.extensions:
            if self.compiler.compiler_type == "msvc":
                ext.extra_compile_args = ["/O2"] + cflags
            else:
                ext.extra_compile_args = ["-O3", "-fopenmp-simd", "-fno-math-errno"] + cflags
            ext.extra_link_args = ldflags
        super().build_extensions()


extensions = [
    Extension(
        "fastsgd._linear",
        sources=["src_c/_linear.pyx"],
        include_dirs=["src_c", numpy.get_include()],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    ),
]

setup(
    ext_modules=cythonize(
        extensions,
        include_path=["src_c"],
        compiler_directives={"language_level": 3},
    ),
    cmdclass={"build_ext": BuildExt},
)
