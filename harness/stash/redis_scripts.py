"""The Lua scripts that make each Redis stash operation one atomic step.

A value lives in a hash ``{p: sealed payload, c: created ms, d: deadline ms or 0}``. Times
come from Redis's own ``TIME`` plus the run's clock offset (the key ``KEYS[1]`` of every
script that reads the clock), so every machine of a run agrees on ages and expiry, and a
test that advances the clock moves it for all of them. Deadlines are also kept in a sorted
set; an expired value is recorded (for ``expired()``) and deleted by whichever script meets
it first. Redis's own ``PEXPIRE`` is only the backstop that removes a crashed run's keys.

Blocked takes register in a sorted set (score: the real time their lease ends) and sleep in
``BLPOP`` on a per-key wake list; a put that finds registered takers pushes a wake token.

>>> "HSET" in PUT     # doctest: +SKIP
True
"""

from __future__ import annotations

__all__ = [
    "ACQUIRE_LOCK",
    "ADVANCE_CLOCK",
    "ENTRY_INFO",
    "PUT",
    "RELEASE_LOCK",
    "RENEW_LOCK",
    "SWEEP",
    "TABLE",
    "TAKE",
    "WAITING",
]

EXPIRED_KEPT = 1024

# KEYS[1] clock, KEYS[2] deadlines, KEYS[3] expired records. Defines tick (reads the clock
# into real and now, once: a take of a value without deadline never needs it), record, sweep.
_CLOCK = f"""
local real, now
local function tick()
  if real then return end
  local t = redis.call('TIME')
  real = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  now = real + tonumber(redis.call('GET', KEYS[1]) or '0')
end
local function record(name, size, created, deadline)
  redis.call('RPUSH', KEYS[3], created .. ':' .. deadline .. ':' .. size .. ':' .. name)
  redis.call('LTRIM', KEYS[3], -{EXPIRED_KEPT}, -1)
end
local function expire(name)
  local f = redis.call('HMGET', name, 'c', 'd')
  if f[1] then record(name, redis.call('HSTRLEN', name, 'p'), f[1], f[2]) end
  redis.call('DEL', name)
  redis.call('ZREM', KEYS[2], name)
end
local function sweep()
  tick()
  local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)
  for _, name in ipairs(due) do expire(name) end
  return #due
end
"""

# KEYS: clock, deadlines, expired, value, wake list, waiters.
# ARGV: payload, ttl ms (-1: none), key ttl ms, wake ttl ms. 1 when stored, 0 when held.
PUT = (
    _CLOCK
    + """
tick()
local d = redis.call('HGET', KEYS[4], 'd')
if d then
  d = tonumber(d)
  if d == 0 or d > now then return 0 end
  expire(KEYS[4])
end
local ttl = tonumber(ARGV[2])
local deadline = 0
if ttl >= 0 then
  deadline = now + ttl
  redis.call('ZADD', KEYS[2], deadline, KEYS[4])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
redis.call('HSET', KEYS[4], 'p', ARGV[1], 'c', now, 'd', deadline)
redis.call('PEXPIRE', KEYS[4], ARGV[3])
if redis.call('ZCARD', KEYS[6]) > 0 then
  redis.call('RPUSH', KEYS[5], '1')
  redis.call('PEXPIRE', KEYS[5], ARGV[4])
end
return 1
"""
)

# KEYS: clock, deadlines, expired, value, wake list, waiters.
# ARGV: mode, waiter id, lease ms, key ttl ms. mode "take": take if present. "wait": take,
# else register (or renew) as a blocked taker. "leave": unregister, and take if present.
TAKE = (
    _CLOCK
    + """
local found = redis.call('HMGET', KEYS[4], 'p', 'd')
local payload = false
if found[1] then
  local d = tonumber(found[2])
  if d ~= 0 then tick() end
  if d == 0 or d > now then
    payload = found[1]
    redis.call('DEL', KEYS[4])
    if d ~= 0 then redis.call('ZREM', KEYS[2], KEYS[4]) end
  else
    expire(KEYS[4])
  end
end
local mode = ARGV[1]
if mode == 'take' then return payload end
tick()
if mode == 'wait' and not payload then
  redis.call('ZADD', KEYS[6], real + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', KEYS[6], ARGV[4])
  return payload
end
redis.call('ZREM', KEYS[6], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', real)
if redis.call('ZCARD', KEYS[6]) == 0 then redis.call('DEL', KEYS[5]) end
return payload
"""
)

# KEYS: waiters. How many blocked takers hold a live lease.
WAITING = """
local t = redis.call('TIME')
local real = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. real, '+inf')
"""

# KEYS: clock, deadlines, expired, then the value hashes to describe.
# Returns {now, {index, sealed size, created, deadline}...} for the live ones (index from 1).
ENTRY_INFO = (
    _CLOCK
    + """
sweep()
local out = {now}
for i = 4, #KEYS do
  local f = redis.call('HMGET', KEYS[i], 'c', 'd')
  if f[1] then
    local d = tonumber(f[2])
    if d == 0 or d > now then
      table.insert(out, {i - 3, redis.call('HSTRLEN', KEYS[i], 'p'), tonumber(f[1]), d})
    end
  end
end
return out
"""
)

# KEYS: clock, deadlines, expired. Sweeps; returns {now, records...}.
SWEEP = (
    _CLOCK
    + """
sweep()
local out = {now}
for _, item in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do table.insert(out, item) end
return out
"""
)

# KEYS: clock, deadlines, expired. ARGV: ms to add, key ttl ms. Returns the new offset (ms).
ADVANCE_CLOCK = (
    _CLOCK
    + """
tick()
local offset = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
now = real + offset
sweep()
return offset
"""
)

# Tables: one hash per table, fields "v:KEY" (sealed value), "n:KEY" (version), "d:KEY"
# (deadline ms, 0: none); versions come from one counter per run.
# KEYS: clock, deadlines, expired, table hash, version counter.
# ARGV[1] op, then per op:
#   get KEY                         -> {version, sealed} or nil
#   set KEY SEALED TTL KEYTTL       -> version
#   cas KEY EXPECTED SEALED TTL KEYTTL (EXPECTED '' = absent) -> version or 0
#   delete KEY                      -> {1, sealed} or {0}
#   scan                            -> {key, version, sealed, ...} of live keys
#   clear                           -> count of live keys removed
TABLE = (
    _CLOCK
    + """
tick()
local h = KEYS[4]
local op = ARGV[1]
local function live(key)
  local d = redis.call('HGET', h, 'd:' .. key)
  if not d then return false end
  d = tonumber(d)
  if d ~= 0 and d <= now then
    redis.call('HDEL', h, 'v:' .. key, 'n:' .. key, 'd:' .. key)
    return false
  end
  return true
end
local function write(key, sealed, ttl, keyttl)
  local version = redis.call('INCR', KEYS[5])
  redis.call('PEXPIRE', KEYS[5], keyttl)
  local deadline = 0
  if tonumber(ttl) >= 0 then deadline = now + tonumber(ttl) end
  redis.call('HSET', h, 'v:' .. key, sealed, 'n:' .. key, version, 'd:' .. key, deadline)
  redis.call('PEXPIRE', h, keyttl)
  return version
end
if op == 'get' then
  if not live(ARGV[2]) then return false end
  local f = redis.call('HMGET', h, 'n:' .. ARGV[2], 'v:' .. ARGV[2])
  return {tonumber(f[1]), f[2]}
elseif op == 'set' then
  return write(ARGV[2], ARGV[3], ARGV[4], ARGV[5])
elseif op == 'cas' then
  local current = ''
  if live(ARGV[2]) then current = redis.call('HGET', h, 'n:' .. ARGV[2]) end
  if current ~= ARGV[3] then return 0 end
  return write(ARGV[2], ARGV[4], ARGV[5], ARGV[6])
elseif op == 'delete' then
  if not live(ARGV[2]) then return {0} end
  local sealed = redis.call('HGET', h, 'v:' .. ARGV[2])
  redis.call('HDEL', h, 'v:' .. ARGV[2], 'n:' .. ARGV[2], 'd:' .. ARGV[2])
  return {1, sealed}
end
local out = {}
local count = 0
local fields = redis.call('HKEYS', h)
for _, field in ipairs(fields) do
  if string.sub(field, 1, 2) == 'd:' then
    local key = string.sub(field, 3)
    if live(key) then
      count = count + 1
      if op == 'scan' then
        local f = redis.call('HMGET', h, 'n:' .. key, 'v:' .. key)
        table.insert(out, key)
        table.insert(out, tonumber(f[1]))
        table.insert(out, f[2])
      end
    end
  end
end
if op == 'clear' then
  redis.call('DEL', h)
  return count
end
return out
"""
)

# KEYS: lock. ARGV: owner, lease ms.
# Returns 0 when acquired, -1 when the owner already holds it, else the ms its lease has left.
ACQUIRE_LOCK = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then return -1 end
if holder then
  local left = redis.call('PTTL', KEYS[1])
  if left <= 0 then left = tonumber(ARGV[2]) end
  return left
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 0
"""

# KEYS: lock, lock wake list. ARGV: owner, wake ttl ms.
# Returns 1 when released, 0 when nobody holds it, 2 when someone else does.
RELEASE_LOCK = """
local holder = redis.call('GET', KEYS[1])
if not holder then return 0 end
if holder ~= ARGV[1] then return 2 end
redis.call('DEL', KEYS[1])
redis.call('RPUSH', KEYS[2], '1')
redis.call('LTRIM', KEYS[2], -1, -1)
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
"""

# KEYS: lock. ARGV: owner, lease ms. Returns 1 when the owner still held it (lease renewed).
RENEW_LOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"""
