# SOFTMAXKIT_SANITIZE=address;undefined | thread — applied to every target of the build.
if(SOFTMAXKIT_SANITIZE)
  list(JOIN SOFTMAXKIT_SANITIZE "," softmaxkit_sanitizers)
  add_compile_options(-fsanitize=${softmaxkit_sanitizers} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${softmaxkit_sanitizers})
endif()
