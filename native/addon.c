/* The module's entry: one .node file, built by `npm install` (node-gyp), loaded by src/native/addon.ts. */
#include "addon.h"

static napi_value init(napi_env env, napi_value exports) {
  register_crc32c(env, exports);
  register_memory(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
