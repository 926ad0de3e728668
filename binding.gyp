{
  "targets": [
    {
      "target_name": "millrace_native",
      "sources": ["native/addon.c", "native/crc32c.c", "native/memory.c"],
      "cflags": ["-O3"]
    }
  ]
}
