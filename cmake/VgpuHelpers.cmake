# vgpu_cc_library(NAME SRCS ... HDRS ... DEPS ...)
#   Defines target vgpu_<NAME> with alias vgpu::<NAME>. Sources are listed, never globbed.
function(vgpu_cc_library NAME)
  cmake_parse_arguments(V "" "" "SRCS;HDRS;DEPS" ${ARGN})
  add_library(vgpu_${NAME} STATIC ${V_SRCS} ${V_HDRS})
  add_library(vgpu::${NAME} ALIAS vgpu_${NAME})
  target_include_directories(vgpu_${NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(vgpu_${NAME} PUBLIC ${V_DEPS})
endfunction()

# vgpu_cc_test(NAME SRCS ... DEPS ... [LABELS ...])
#   A GoogleTest executable; every TEST is registered with CTest.
function(vgpu_cc_test NAME)
  cmake_parse_arguments(V "" "" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${NAME} ${V_SRCS})
  target_link_libraries(${NAME} PRIVATE ${V_DEPS} GTest::gmock GTest::gtest_main)
  target_include_directories(${NAME} PRIVATE ${PROJECT_SOURCE_DIR})
  if(NOT V_LABELS)
    set(V_LABELS unit)
  endif()
  # gtest_discover_tests cannot pass a list-valued property through its
  # generated script, so several labels become one joined label
  # ("unit_tsan"); `ctest -L` takes a regex, so `-L tsan` and `-L unit` both
  # select it.
  string(REPLACE ";" "_" label "${V_LABELS}")
  gtest_discover_tests(${NAME} DISCOVERY_TIMEOUT 120
                       PROPERTIES LABELS "${label}")
endfunction()
