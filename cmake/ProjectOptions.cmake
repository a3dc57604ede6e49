# Warnings and sanitizers for the project's own targets (never for dependencies).

set(OVNK_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wnon-virtual-dtor -Wold-style-cast -Woverloaded-virtual -Wnull-dereference
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough -Wcast-qual
  -Wmissing-declarations)
if(OVNK_WERROR)
  list(APPEND OVNK_WARNINGS -Werror)
endif()

if(OVNK_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# ovnk_target(<target>): the project's warning set; the top of the tree is the
# include root so that headers read as "base/result.h", "reactor/loop.h".
function(ovnk_target target)
  target_compile_options(${target} PRIVATE ${OVNK_WARNINGS})
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "INTERFACE_LIBRARY")
    target_include_directories(${target} INTERFACE ${PROJECT_SOURCE_DIR})
  else()
    target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR})
  endif()
endfunction()

# ovnk_test(<name> LABEL <label> SOURCES ... LIBS ...): one gtest binary whose
# cases are discovered when ctest runs (not at build time) and carry the label:
# unit (no root, no sockets beyond socketpair), loop (loopback and unix sockets),
# priv (root, own network namespaces), e2e (real OVN stack).
function(ovnk_test name)
  cmake_parse_arguments(T "" "LABEL;TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${name} ${T_SOURCES})
  ovnk_target(${name})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name}
    DISCOVERY_MODE PRE_TEST
    PROPERTIES LABELS ${T_LABEL} TIMEOUT ${T_TIMEOUT}
    TEST_PREFIX "${T_LABEL}.")
endfunction()
