-- A 1M-iteration arithmetic loop, the Lua 5.4 counterpart of bench/loop.tn.
local function loop(n)
    local s, i = 0, 0
    while i < n do
        s = (s + i * 7) % 1000003
        i = i + 1
    end
    return s
end

local t0 = os.clock()
local r = loop(1000000)
local t1 = os.clock()
print(string.format("loop(1000000) = %d in %.4f s", r, t1 - t0))
