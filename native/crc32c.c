/*
 * CRC-32C (Castagnoli) for record batches, with the SSE4.2 crc32 instruction.
 *
 * One crc32 instruction has a latency of about three cycles but the CPU can
 * start one every cycle, so a single running checksum leaves two thirds of the
 * unit idle (that is where the @node-rs/crc32 fallback sits: ~6 GB/s on this
 * project's machines). Here the input is cut into three interleaved streams
 * whose checksums are computed side by side and then joined: the checksum of
 * A followed by B equals "A's register advanced over |B| zero bytes" XOR "B's
 * register started from zero", because the register update is linear over
 * GF(2). Advancing a register over a fixed number of zero bytes is itself a
 * linear map of 32 bits, so it is precomputed as four 256-entry tables.
 *
 * Adds crc32c(data: Uint8Array, initial?: number): number to the addon's exports
 * when the CPU has SSE4.2; otherwise nothing, and the caller falls back.
 */
#include "addon.h"
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <nmmintrin.h>
#define HAVE_X86_CRC 1

/* Stream lengths: long blocks for big inputs, short ones for the remainder. */
#define LONG_BYTES 8192
#define SHORT_BYTES 256

static uint32_t long_shift[4][256];
static uint32_t short_shift[4][256];

__attribute__((target("sse4.2"))) static uint32_t zeros_advance(uint32_t reg, size_t bytes) {
  uint64_t c = reg;
  for (size_t i = 0; i < bytes / 8; i++) c = _mm_crc32_u64(c, 0);
  return (uint32_t)c;
}

/* Builds the tables of the linear map "advance the register over `bytes` zero bytes". */
__attribute__((target("sse4.2"))) static void build_shift(uint32_t table[4][256], size_t bytes) {
  uint32_t basis[32];
  for (int i = 0; i < 32; i++) basis[i] = zeros_advance(1u << i, bytes);
  for (int j = 0; j < 4; j++) {
    for (int b = 0; b < 256; b++) {
      uint32_t v = 0;
      for (int k = 0; k < 8; k++)
        if (b & (1 << k)) v ^= basis[8 * j + k];
      table[j][b] = v;
    }
  }
}

static inline uint32_t shift(uint32_t table[4][256], uint32_t reg) {
  return table[0][reg & 0xff] ^ table[1][(reg >> 8) & 0xff] ^ table[2][(reg >> 16) & 0xff] ^ table[3][reg >> 24];
}

static inline uint64_t load64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* Three streams of `block` bytes each, joined into reg. */
#define THREE_WAY(block, table)                                          \
  while (n >= 3 * (block)) {                                             \
    uint64_t c1 = 0, c2 = 0;                                             \
    for (size_t i = 0; i < (block); i += 8) {                            \
      c0 = _mm_crc32_u64(c0, load64(p + i));                             \
      c1 = _mm_crc32_u64(c1, load64(p + (block) + i));                   \
      c2 = _mm_crc32_u64(c2, load64(p + 2 * (block) + i));               \
    }                                                                    \
    c0 = shift(table, (uint32_t)c0) ^ (uint32_t)c1;                      \
    c0 = shift(table, (uint32_t)c0) ^ (uint32_t)c2;                      \
    p += 3 * (block);                                                    \
    n -= 3 * (block);                                                    \
  }

__attribute__((target("sse4.2"))) static uint32_t crc32c_hw(uint32_t crc, const uint8_t *p, size_t n) {
  uint64_t c0 = ~crc & 0xffffffffu;
  while (n > 0 && ((uintptr_t)p & 7) != 0) {
    c0 = _mm_crc32_u8((uint32_t)c0, *p++);
    n--;
  }
  THREE_WAY(LONG_BYTES, long_shift)
  THREE_WAY(SHORT_BYTES, short_shift)
  while (n >= 8) {
    c0 = _mm_crc32_u64(c0, load64(p));
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c0 = _mm_crc32_u8((uint32_t)c0, *p++);
  return ~(uint32_t)c0;
}
#endif

static napi_value throw_type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

#ifdef HAVE_X86_CRC
static napi_value js_crc32c(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1)
    return throw_type_error(env, "crc32c(data: Uint8Array, initial?: number)");
  napi_typedarray_type type;
  size_t length;
  void *data;
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_uint8_array)
    return throw_type_error(env, "crc32c: data must be a Uint8Array");
  uint32_t initial = 0;
  if (argc > 1) {
    napi_valuetype t;
    napi_typeof(env, argv[1], &t);
    if (t == napi_number) napi_get_value_uint32(env, argv[1], &initial);
    else if (t != napi_undefined) return throw_type_error(env, "crc32c: initial must be a number");
  }
  napi_value result;
  napi_create_uint32(env, crc32c_hw(initial, (const uint8_t *)data, length), &result);
  return result;
}
#endif

void register_crc32c(napi_env env, napi_value exports) {
#ifdef HAVE_X86_CRC
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.2")) {
    build_shift(long_shift, LONG_BYTES);
    build_shift(short_shift, SHORT_BYTES);
    napi_value fn;
    napi_create_function(env, "crc32c", NAPI_AUTO_LENGTH, js_crc32c, NULL, &fn);
    napi_set_named_property(env, exports, "crc32c", fn);
  }
#endif
}
