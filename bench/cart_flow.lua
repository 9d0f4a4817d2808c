-- wrk script: the cart write path as a shopper drives it. Each connection
-- alternates "create a cart" and "add a line item to the cart just created",
-- so two responses make one flow.
local key = os.getenv("BENCH_KEY")
local variant = os.getenv("BENCH_VARIANT")
local cart_id = nil

function request()
  local headers = { ["x-publishable-api-key"] = key, ["content-type"] = "application/json" }
  if cart_id == nil then
    return wrk.format("POST", "/store/carts", headers, "{}")
  end
  local path = "/store/carts/" .. cart_id .. "/line-items"
  cart_id = nil
  return wrk.format("POST", path, headers, '{"variant_id":"' .. variant .. '","quantity":1}')
end

function response(status, headers, body)
  if status ~= 200 then
    return
  end
  local id = body:match('"cart":%s*{%s*"id":%s*"([^"]+)"')
  if id ~= nil and not body:find('"items":%s*%[%s*{') then
    cart_id = id
  end
end
