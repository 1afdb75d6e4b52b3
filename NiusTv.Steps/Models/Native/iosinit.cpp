// libLibTorchSharp.so is built with GCC 13+, whose headers make every iostream user call this; GCC 12's libstdc++
// (Debian 12) lacks it but initialises iostreams in its own constructor, so an empty body is the whole job.
namespace std { void ios_base_library_init() {} }
