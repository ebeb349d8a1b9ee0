# Herald's N-API addon. Built by the root package's `install` script (npm ci) and by
# `npm run build:native`; see docs/native.md.
{
  "targets": [
    {
      "target_name": "herald_net",
      "sources": [
        "src/addon.cc",
        "src/packet_socket.cc",
        "src/icmp6_socket.cc",
        "src/tcp_md5.cc",
        "src/tcp_socket.cc",
        "src/udp_socket.cc"
      ],
      # node-addon-api's headers with C++ exceptions on: a failed syscall throws a Napi::Error,
      # which node-addon-api turns into a JS exception at the call boundary.
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra"]
    }
  ]
}
