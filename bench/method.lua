-- A 1M-iteration loop calling a method on an object, the Lua 5.4 counterpart of bench/method.tn.
local Acc = {}
Acc.__index = Acc

function Acc.new()
    return setmetatable({x = 0}, Acc)
end

function Acc:f(i)
    return i + 1
end

local function run(n)
    local o = Acc.new()
    local s, i = 0, 0
    while i < n do
        s = s + o:f(i)
        i = i + 1
    end
    return s
end

local t0 = os.clock()
local r = run(1000000)
local t1 = os.clock()
print(string.format("method(1000000) = %d in %.4f s", r, t1 - t0))
