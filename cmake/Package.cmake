# Install rules and CPack TGZ for a Kiln that runs on another machine with the CUDA driver.
set(KILN_PACKAGE_PROGRAMS kiln)
if(KILN_BUILD_TESTS)
  # The test programs travel too, so GPU tests and benchmarks run on the GPU machine.
  list(APPEND KILN_PACKAGE_PROGRAMS kiln_model_test kiln_conformance)
  if(KILN_HAVE_CUDA)
    list(APPEND KILN_PACKAGE_PROGRAMS kiln_gpu_tests)
  endif()
endif()
foreach(program ${KILN_PACKAGE_PROGRAMS})
  set_target_properties(${program} PROPERTIES INSTALL_RPATH "$ORIGIN/../lib")
endforeach()
install(TARGETS ${KILN_PACKAGE_PROGRAMS} RUNTIME DESTINATION bin)
if(KILN_BUILD_TESTS)
  # The plugin library the plugin tests load (KILN_TEST_PLUGIN_LIBRARY=<prefix>/lib/...).
  install(TARGETS kiln_test_plugins LIBRARY DESTINATION lib)
endif()
# The public headers: plugin libraries build against <prefix>/include (docs/plugins.md).
install(DIRECTORY include/kiln DESTINATION include)
# Libraries every Linux with a CUDA driver has (C/C++ runtime) or that come with CUDA itself.
install(CODE [[
  file(GLOB kiln_programs ${CMAKE_INSTALL_PREFIX}/bin/*)
  file(GET_RUNTIME_DEPENDENCIES
       EXECUTABLES ${kiln_programs}
       RESOLVED_DEPENDENCIES_VAR kiln_deps
       UNRESOLVED_DEPENDENCIES_VAR kiln_missing
       PRE_EXCLUDE_REGEXES "ld-linux.*" "libc\\.so.*" "libm\\.so.*" "libdl\\.so.*" "libpthread\\.so.*" "librt\\.so.*"
                           "libstdc\\+\\+\\.so.*" "libgcc_s\\.so.*" "libcuda\\.so.*" "libcudart\\.so.*" "libcublas.*"
                           "libcudnn.*" "libnvrtc.*" "libnvJitLink.*"
       POST_EXCLUDE_REGEXES "^/lib/x86_64-linux-gnu/libc\\." "/usr/local/cuda")
  foreach(dep ${kiln_deps})
    file(INSTALL ${dep} DESTINATION ${CMAKE_INSTALL_PREFIX}/lib FOLLOW_SYMLINK_CHAIN)
  endforeach()
]])
set(CPACK_GENERATOR TGZ)
set(CPACK_PACKAGE_NAME kiln)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_FILE_NAME kiln-${PROJECT_VERSION}-linux-x86_64)
include(CPack)
