# Every third-party dependency, found once, from Debian 12 packages only.
# libuv, libmnl, c-ares and liburing ship only pkg-config files; http-parser ships
# neither, so it is found by header and library. Nothing is downloaded.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBUV REQUIRED IMPORTED_TARGET libuv>=1.44)
pkg_check_modules(LIBMNL REQUIRED IMPORTED_TARGET libmnl>=1.0.4)
pkg_check_modules(CARES REQUIRED IMPORTED_TARGET libcares>=1.18)
pkg_check_modules(LIBURING REQUIRED IMPORTED_TARGET liburing>=2.3)
pkg_check_modules(SIMDJSON REQUIRED IMPORTED_TARGET simdjson>=3.0)
pkg_check_modules(RAPIDJSON REQUIRED IMPORTED_TARGET RapidJSON)
find_package(OpenSSL 3.0 REQUIRED)
find_package(Threads REQUIRED)

find_path(HTTP_PARSER_INCLUDE_DIR http_parser.h REQUIRED)
find_library(HTTP_PARSER_LIBRARY NAMES http_parser libhttp_parser.a REQUIRED)
add_library(ovnk_dep_http_parser INTERFACE)
target_include_directories(ovnk_dep_http_parser SYSTEM INTERFACE ${HTTP_PARSER_INCLUDE_DIR})
target_link_libraries(ovnk_dep_http_parser INTERFACE ${HTTP_PARSER_LIBRARY})

if(OVNK_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(OVNK_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
