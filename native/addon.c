/* The module's entry: one .node file, built by `npm install` (node-gyp), loaded by src/native/addon.ts. */
#include "addon.h"

static napi_value init(napi_env env, napi_value exports) {
  /* V8's CPU profiles (through the inspector) name every N-API function after the one registered
     last, as they all enter through the same native callback: the hot one, crc32c, goes last. */
  register_memory(env, exports);
  register_crc32c(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
