# A minimal Rack app for the nocontent frameworks lab (python -m nocontent lab capture), started with
#   rackup -s webrick -E deployment -o 127.0.0.1 -p PORT rack_204.ru
# Rails' `head :no_content` ends as the first triple below; Rails itself is not needed to see
# what a Rack server does with it.
require "json"
require "rack"
require "webrick"

class LabApp
  def call(env)
    case env["PATH_INFO"]
    when "/idiomatic"
      # The idiomatic 204: status, no headers that describe a body, an empty body.
      [204, {}, []]
    when "/mistake"
      # The mistake: a JSON API helper renders nil as "null", with its type and length.
      [204, { "Content-Type" => "application/json", "Content-Length" => "4" }, ["null"]]
    when "/names"
      body = JSON.generate(
        "version" => Rack.release,
        "webrick" => WEBrick::VERSION,
        "ruby" => RUBY_VERSION,
        "Rack::Utils::HTTP_STATUS_CODES[204]" => Rack::Utils::HTTP_STATUS_CODES[204],
        "Rack::Utils::SYMBOL_TO_STATUS_CODE[:no_content]" => Rack::Utils::SYMBOL_TO_STATUS_CODE[:no_content]
      )
      [200, { "Content-Type" => "application/json", "Content-Length" => body.bytesize.to_s }, [body]]
    else
      [200, { "Content-Type" => "text/plain", "Content-Length" => "2" }, ["ok"]]
    end
  end
end

run LabApp.new
