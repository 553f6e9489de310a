/**
 * The Lua scripts kefu runs in Redis. Each runs atomically on the server, so a check and the
 * write it guards cannot be split by another node. Times come from Redis's own clock (TIME), so
 * nodes whose clocks disagree still count the same.
 */

/**
 * Takes a free lease. KEYS: lease, fence counter. ARGV: node id, ttl ms.
 * Returns the fencing token, or 0 while someone holds it. The counter starts at Redis's clock in
 * ms, so after a Redis that lost its data restarts, new tokens still exceed the old ones (as long
 * as fewer than 1000 leases a second were taken, far more than kefu takes).
 */
export const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then
  local t = redis.call('TIME')
  redis.call('SET', KEYS[2], string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)))
end
local fence = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], string.format('%d', fence) .. ':' .. ARGV[1], 'PX', ARGV[2])
return fence
`;

/** Extends a lease still ours. KEYS: lease. ARGV: "<fence>:<node>", ttl ms. Returns 1, or 0 when it is not ours any more. */
export const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/** Gives a lease back if still ours and tells the waiters. KEYS: lease. ARGV: "<fence>:<node>", notice channel. */
export const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('PUBLISH', ARGV[2], KEYS[1])
  return 1
end
return 0
`;

/**
 * Writes a value only while the writer still holds the lock lease (fencing: a node that stalled
 * past its lease cannot overwrite what the next holder wrote). KEYS: lock, value. ARGV:
 * "<fence>:<node>", value, ttl ms. Returns 1 when written.
 */
export const FENCED_SET = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1
`;

/**
 * GCRA, the same algorithm as core/ratelimit (one number per key: the theoretical arrival time).
 * KEYS: the key. ARGV: emission interval ms, burst tolerance ms. Returns 0 when allowed, else the
 * seconds to wait. The key expires once the allowance is full again, so memory follows active senders.
 */
export const GCRA = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allow_at = tat - tolerance
if now < allow_at then return math.ceil((allow_at - now) / 1000) end
local next_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.3f', next_tat), 'PX', math.max(1, math.ceil(next_tat - now)))
return 0
`;
