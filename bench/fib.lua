-- Naive recursive fib(25), the Lua 5.4 counterpart of bench/fib.tn.
local function fib(n)
    if n < 2 then return n end
    return fib(n - 1) + fib(n - 2)
end

local t0 = os.clock()
local r = fib(25)
local t1 = os.clock()
print(string.format("fib(25) = %d in %.4f s", r, t1 - t0))
