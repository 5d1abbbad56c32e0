"""Build tests/pieces/standin.cpp the way torch builds SageAttention's
extensions (torch.utils.cpp_extension: PYBIND11_MODULE from the pybind11 3.x
torch ships, so multi-phase init), once, and lay it out as a package:

    python3 tests/pieces/build_standin.py OUT_DIR

gives OUT_DIR/sageattention/_qattn_sm90<suffix>, _qattn_sm89<suffix> and
_qattn_sm80<suffix> and _fused<suffix> (copies of one shared object that
defines all four
PyInit_ functions).  Needs torch (the CPU is enough) and a C++ compiler.
"""
import os
import shutil
import sys
import sysconfig
import tempfile

from setuptools import Distribution
from torch.utils.cpp_extension import BuildExtension, CppExtension

HERE = os.path.dirname(os.path.abspath(__file__))
MODULES = ('_qattn_sm90', '_qattn_sm89', '_qattn_sm80', '_fused')


def main(out_dir):
    suffix = sysconfig.get_config_var('EXT_SUFFIX')
    package = os.path.join(out_dir, 'sageattention')
    os.makedirs(package, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        extension = CppExtension('standin', [os.path.join(HERE, 'standin.cpp')],
                                 extra_compile_args=['-O2'])
        dist = Distribution({'name': 'standin', 'ext_modules': [extension],
                             'cmdclass': {'build_ext': BuildExtension.with_options(
                                 use_ninja=False)}})
        command = dist.get_command_obj('build_ext')
        command.build_lib = work
        command.build_temp = os.path.join(work, 'temp')
        dist.run_command('build_ext')
        built = os.path.join(work, 'standin' + suffix)
        for name in MODULES:
            shutil.copyfile(built, os.path.join(package, name + suffix))


if __name__ == '__main__':
    main(sys.argv[1])
