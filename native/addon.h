/* Millrace's optional native addon: each source file adds its functions to the exports. */
#ifndef MILLRACE_ADDON_H
#define MILLRACE_ADDON_H
#define NAPI_VERSION 8
#include <node_api.h>

void register_crc32c(napi_env env, napi_value exports);
void register_memory(napi_env env, napi_value exports);

#endif
