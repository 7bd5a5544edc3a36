# VGPU_STATIC_DEPS=ON: link gRPC, protobuf, abseil, yaml-cpp, re2, c-ares and
# zlib from the static archives Debian's -dev packages ship next to the
# shared objects (prometheus-cpp and CivetWeb ship no archive and stay
# shared). The deployed daemon is built this way: the loader no longer maps
# and relocates ~60 shared libraries at every start, and only the code the
# daemon runs is resident (see docs/benchmarks.md).
#
# Works by pointing the imported targets that Debian's CMake configs define
# at the sibling `.a` of each `.so`; link order still comes from their
# INTERFACE_LINK_LIBRARIES. Sanitizer builds keep the shared libraries.

function(_vgpu_static_swap target)
  if(NOT TARGET ${target})
    return()
  endif()
  get_target_property(imported ${target} IMPORTED)
  if(NOT imported)
    return()
  endif()
  get_target_property(type ${target} TYPE)
  if(NOT type STREQUAL "SHARED_LIBRARY" AND NOT type STREQUAL "UNKNOWN_LIBRARY")
    return()
  endif()
  foreach(prop IMPORTED_LOCATION IMPORTED_LOCATION_NONE IMPORTED_LOCATION_RELEASE
               IMPORTED_LOCATION_RELWITHDEBINFO IMPORTED_LOCATION_DEBUG
               IMPORTED_LOCATION_MINSIZEREL)
    get_target_property(loc ${target} ${prop})
    if(loc AND loc MATCHES "^(.*)\\.so(\\.[0-9.]+)?$")
      set(archive "${CMAKE_MATCH_1}.a")
      if(NOT EXISTS "${archive}")
        message(FATAL_ERROR
          "VGPU_STATIC_DEPS: ${target} has no static archive ${archive}")
      endif()
      set_target_properties(${target} PROPERTIES ${prop} "${archive}")
      set(swapped TRUE)
    endif()
  endforeach()
  if(swapped AND type STREQUAL "SHARED_LIBRARY")
    set_property(TARGET ${target} PROPERTY IMPORTED_NO_SONAME TRUE)
  endif()
endfunction()

function(vgpu_use_static_deps)
  # Every abseil/gRPC/protobuf target, not only those gRPC reaches: one
  # shared and one static copy of abseil in the same process would be two
  # different absl::Mutex implementations (absl::flags, for one, is reached
  # only from cmd/).
  get_property(imported DIRECTORY "${PROJECT_SOURCE_DIR}" PROPERTY IMPORTED_TARGETS)
  set(queue yaml-cpp)
  foreach(t IN LISTS imported)
    if(t MATCHES "^(absl|gRPC|protobuf)::")
      list(APPEND queue ${t})
    endif()
  endforeach()
  set(seen "")
  while(queue)
    list(POP_FRONT queue t)
    if(t IN_LIST seen OR NOT TARGET ${t})
      continue()
    endif()
    list(APPEND seen ${t})
    if(t MATCHES "^(prometheus-cpp|civetweb)::")
      continue()
    endif()
    _vgpu_static_swap(${t})
    get_target_property(deps ${t} INTERFACE_LINK_LIBRARIES)
    if(deps)
      foreach(d IN LISTS deps)
        if(TARGET ${d})
          list(APPEND queue ${d})
        endif()
      endforeach()
    endif()
  endwhile()
  list(LENGTH seen n)
  message(STATUS "VGPU_STATIC_DEPS: ${n} imported targets linked statically")
endfunction()
