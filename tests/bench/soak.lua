-- tests/bench/soak.lua: the mixed load of tests/bench/soak.sh, for wrk.
--
-- Each connection's next request is the next of four kinds, in turn (a counter
-- in request(), started at a different kind in each wrk thread):
--   token       POST /token        client_credentials, HTTP Basic, scope=read
--   verify      POST /verify       {"token": SOAK_TOKEN, "aud": "api"}
--   introspect  POST /introspect   token=SOAK_TOKEN, HTTP Basic
--   jwks        GET  /.well-known/jwks.json
-- Environment: SOAK_BASIC (base64 of "id:secret"), SOAK_TOKEN (a valid access
-- token of that client for audience api, minted before the run).
--
-- response() counts answers by status, and checks every 200 for what it must
-- say: a token answer has an access_token, /verify says "valid":true, /introspect
-- says "active":true, the JWK Set has "keys". A 200 that says anything else is
-- counted as a wrong answer. done() prints machine-readable lines for soak.sh:
--   SOAK summary requests=N duration_us=N connect=N read=N write=N timeout=N non2xx=N p50_us=N p99_us=N max_us=N
--   SOAK status CODE N          (one line per HTTP status seen)
--   SOAK kind KIND N            (200 answers recognised per kind, and "wrong")

local basic = os.getenv("SOAK_BASIC")
local token = os.getenv("SOAK_TOKEN")
if not basic or not token then
	error("soak.lua: set SOAK_BASIC and SOAK_TOKEN")
end

local threads = {}
local next_id = 0

function setup(thread)
	thread:set("id", next_id)
	next_id = next_id + 1
	table.insert(threads, thread)
end

local reqs
counter = 0
statuses = {}
kinds = {token = 0, verify = 0, introspect = 0, jwks = 0, wrong = 0}

function init(args)
	local form = "application/x-www-form-urlencoded"
	reqs = {
		wrk.format("POST", "/token", {["Authorization"] = "Basic " .. basic, ["Content-Type"] = form},
			"grant_type=client_credentials&scope=read"),
		wrk.format("POST", "/verify", {["Content-Type"] = "application/json"},
			'{"token":"' .. token .. '","aud":"api"}'),
		wrk.format("POST", "/introspect", {["Authorization"] = "Basic " .. basic, ["Content-Type"] = form},
			"token=" .. token),
		wrk.format("GET", "/.well-known/jwks.json", {}),
	}
	counter = id or 0
end

function request()
	counter = counter + 1
	return reqs[counter % #reqs + 1]
end

local function has(s, p)
	return s ~= nil and string.find(s, p, 1, true) ~= nil
end

function response(status, headers, body)
	statuses[status] = (statuses[status] or 0) + 1
	if status ~= 200 then
		return
	end
	if has(body, '"access_token":"') then
		kinds.token = kinds.token + 1
	elseif has(body, '"valid":true') then
		kinds.verify = kinds.verify + 1
	elseif has(body, '"active":true') then
		kinds.introspect = kinds.introspect + 1
	elseif has(body, '{"keys":[') then
		kinds.jwks = kinds.jwks + 1
	else
		kinds.wrong = kinds.wrong + 1
	end
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"SOAK summary requests=%d duration_us=%d connect=%d read=%d write=%d timeout=%d non2xx=%d p50_us=%d p99_us=%d max_us=%d\n",
		summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
		latency:percentile(50), latency:percentile(99), latency.max))
	local st, kd = {}, {}
	for _, t in ipairs(threads) do
		for code, n in pairs(t:get("statuses")) do
			st[code] = (st[code] or 0) + n
		end
		for k, n in pairs(t:get("kinds")) do
			kd[k] = (kd[k] or 0) + n
		end
	end
	for code, n in pairs(st) do
		io.write(string.format("SOAK status %d %d\n", code, n))
	end
	for k, n in pairs(kd) do
		io.write(string.format("SOAK kind %s %d\n", k, n))
	end
end
