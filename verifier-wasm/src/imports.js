// The functions both modules import from "env" (host.c), declared here only so
// that emcc's undefined-symbol check knows them: standalone modules carry no
// Emscripten glue, and index.js supplies these at instantiation.
mergeInto(LibraryManager.library, {
	host_key_load: function () {},
	host_key_free: function () {},
	host_rsa: function () {},
	host_verify: function () {},
});
