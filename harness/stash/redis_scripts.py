"""The Lua scripts that make each Redis stash operation one atomic step.

A value lives in a hash ``{p: signed payload, c: created ms, d: deadline ms or 0}``. Times
come from Redis's own ``TIME`` (plus the run's clock offset, ``ARGV[1]`` of the scripts that
read it), so every machine of a run agrees on ages and expiry. Blocked takes register in a
sorted set (score: the real time their lease ends) and sleep in ``BLPOP`` on a per-key wake
list; a put that finds registered takers pushes one wake token there.

>>> "HSET" in PUT     # doctest: +SKIP
True
"""

from __future__ import annotations

__all__ = ["ACQUIRE_LOCK", "ENTRY_INFO", "PUT", "RELEASE_LOCK", "RENEW_LOCK", "TAKE", "WAITING"]

# now(offset): Redis time in ms plus the run's clock offset; real: without it.
_NOW = """
local t = redis.call('TIME')
local real = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local now = real + tonumber(ARGV[1])
"""

# KEYS: value, wake list, waiters. ARGV: offset, payload, ttl ms (-1: none), key ttl ms, wake ttl ms.
# Returns 1 when stored, 0 when a live value holds the key.
PUT = (
    _NOW
    + """
local d = redis.call('HGET', KEYS[1], 'd')
if d then
  d = tonumber(d)
  if d == 0 or d > now then return 0 end
  redis.call('DEL', KEYS[1])
end
local ttl = tonumber(ARGV[3])
local expire = tonumber(ARGV[4])
local deadline = 0
if ttl >= 0 then
  deadline = now + ttl
  if ttl + 1000 < expire then expire = ttl + 1000 end
end
redis.call('HSET', KEYS[1], 'p', ARGV[2], 'c', now, 'd', deadline)
redis.call('PEXPIRE', KEYS[1], expire)
if redis.call('ZCARD', KEYS[3]) > 0 then
  redis.call('RPUSH', KEYS[2], '1')
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
end
return 1
"""
)

# KEYS: value, wake list, waiters. ARGV: offset, mode, waiter id, lease ms, key ttl ms.
# mode "take": take if present. "wait": take, else register (or renew) as a blocked taker.
# "leave": unregister, and take if present. Returns the payload or nil.
TAKE = (
    _NOW
    + """
local found = redis.call('HMGET', KEYS[1], 'p', 'd')
local payload = false
if found[1] then
  redis.call('DEL', KEYS[1])
  local d = tonumber(found[2])
  if d == 0 or d > now then payload = found[1] end
end
local mode = ARGV[2]
if mode == 'take' then return payload end
if mode == 'wait' and not payload then
  redis.call('ZADD', KEYS[3], real + tonumber(ARGV[4]), ARGV[3])
  redis.call('PEXPIRE', KEYS[3], ARGV[5])
  return payload
end
redis.call('ZREM', KEYS[3], ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', real)
if redis.call('ZCARD', KEYS[3]) == 0 then redis.call('DEL', KEYS[2]) end
return payload
"""
)

# KEYS: waiters. Returns how many blocked takers hold a live lease.
WAITING = """
local t = redis.call('TIME')
local real = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZCOUNT', KEYS[1], '(' .. real, '+inf')
"""

# KEYS: the value hashes to describe. ARGV: offset.
# Returns {now, {index, payload size, created, deadline}...} for the live ones.
ENTRY_INFO = (
    _NOW
    + """
local out = {now}
for i, key in ipairs(KEYS) do
  local f = redis.call('HMGET', key, 'c', 'd')
  if f[1] then
    local d = tonumber(f[2])
    if d == 0 or d > now then
      table.insert(out, {i, redis.call('HSTRLEN', key, 'p'), tonumber(f[1]), d})
    end
  end
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
