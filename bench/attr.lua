-- A 1M-iteration loop reading and writing a field, the Lua 5.4 counterpart of bench/attr.tn.
local function run(n)
    local o = {x = 0}
    local i = 0
    while i < n do
        o.x = o.x + i
        i = i + 1
    end
    return o.x
end

local t0 = os.clock()
local r = run(1000000)
local t1 = os.clock()
print(string.format("attr(1000000) = %d in %.4f s", r, t1 - t0))
