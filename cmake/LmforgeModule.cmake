# lmforge_module(NAME SOURCES a.cc b.cc DEPS lmforge_core PkgConfig::X CLI cmd_x.cc)
# defines the static library lmforge_NAME (include root: src/) and registers its CLI files,
# which tools/lmforge compiles into the lmforge binary.
function(lmforge_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS;CLI" ${ARGN})
  add_library(lmforge_${name} STATIC ${M_SOURCES})
  target_include_directories(lmforge_${name} PUBLIC ${CMAKE_SOURCE_DIR}/src)
  target_link_libraries(lmforge_${name} PUBLIC ${M_DEPS})
  set_property(GLOBAL APPEND PROPERTY LMFORGE_BUILT_MODULES ${name})
  foreach(f IN LISTS M_CLI)
    set_property(GLOBAL APPEND PROPERTY LMFORGE_CLI_SOURCES ${CMAKE_SOURCE_DIR}/tools/lmforge/${f})
  endforeach()
endfunction()
