// Given to a tool with --require: every host name lookup fails as an unknown host does (getaddrinfo
// ENOTFOUND), so a test can run a tool against a real cloud's sign-in host on any Node with nothing
// leaving the machine.
"use strict";
const dns = require("node:dns");
dns.lookup = function lookup(hostname, options, callback) {
    const done = typeof options === "function" ? options : callback;
    const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND", syscall: "getaddrinfo", hostname });
    process.nextTick(done, error);
};
