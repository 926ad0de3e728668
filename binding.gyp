{
  "targets": [
    {
      "target_name": "millrace_native",
      "sources": ["native/crc32c.c"],
      "cflags": ["-O3"]
    }
  ]
}
