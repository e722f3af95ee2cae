# ferry_module(NAME DIR [PUBLIC deps...] [PRIVATE deps...] [SHARED])
#
# One static library per module of architecture.md. Each module's headers are
# reachable only through its own target: the module directory is exposed via a
# per-target include root in the build tree (build/inc/<name>/<dir> -> src/<dir>),
# so a module that does not link another cannot include its headers. That is
# what makes a forbidden include fail to build.
function(ferry_module name dir)
  cmake_parse_arguments(M "SHARED" "" "PUBLIC;PRIVATE" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${dir}/*.cc)
  # main.cc is a program's entry point, built separately (ferryd, ferry).
  list(FILTER srcs EXCLUDE REGEX "/main\\.cc$")
  set(root ${CMAKE_BINARY_DIR}/inc/${name})
  get_filename_component(parent ${root}/${dir} DIRECTORY)
  file(MAKE_DIRECTORY ${parent})
  if(NOT EXISTS ${root}/${dir})
    file(CREATE_LINK ${CMAKE_SOURCE_DIR}/src/${dir} ${root}/${dir} SYMBOLIC)
  endif()
  if(srcs)
    if(M_SHARED)
      add_library(${name} SHARED ${srcs})
    else()
      add_library(${name} STATIC ${srcs})
    endif()
    target_include_directories(${name} PUBLIC ${root})
    target_link_libraries(${name} PUBLIC ${M_PUBLIC} PRIVATE ${M_PRIVATE})
  else()
    add_library(${name} INTERFACE)
    target_include_directories(${name} INTERFACE ${root})
    target_link_libraries(${name} INTERFACE ${M_PUBLIC})
  endif()
endfunction()
