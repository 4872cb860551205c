# The optional CUDA backend (src/kernels/cuda, docs/cuda.md). LMFORGE_CUDA=AUTO builds it when
# CMake finds a CUDA compiler (nvcc on PATH, CUDACXX or CMAKE_CUDA_COMPILER), ON requires it,
# OFF never builds it. Sets LMFORGE_HAVE_CUDA. The architecture list is kept short (each one is
# a full device compile in every build, CI included): sm_90 (H100/H200) and sm_80 (A100).
set(LMFORGE_CUDA AUTO CACHE STRING "Build the CUDA backend: AUTO (when nvcc is found), ON or OFF")
set_property(CACHE LMFORGE_CUDA PROPERTY STRINGS AUTO ON OFF)
set(LMFORGE_HAVE_CUDA OFF)
if(NOT LMFORGE_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES "90;80" CACHE STRING "CUDA architectures of the backend")
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    # CMake 3.25 does not know nvcc 13's C++20 flag; the .cu files need only C++17.
    set(CMAKE_CUDA_STANDARD 17)
    set(CMAKE_CUDA_STANDARD_REQUIRED ON)
    set(LMFORGE_HAVE_CUDA ON)
  elseif(LMFORGE_CUDA STREQUAL "ON")
    message(FATAL_ERROR "LMFORGE_CUDA=ON but CMake found no CUDA compiler.\n"
                        "hint: put nvcc on PATH (e.g. /usr/local/cuda/bin) or pass "
                        "-DCMAKE_CUDA_COMPILER=/usr/local/cuda/bin/nvcc; or -DLMFORGE_CUDA=OFF")
  endif()
endif()
message(STATUS "lmforge CUDA backend: ${LMFORGE_HAVE_CUDA} (LMFORGE_CUDA=${LMFORGE_CUDA})")
