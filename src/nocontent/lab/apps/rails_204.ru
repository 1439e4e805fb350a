# A one-file Rails app for the nocontent frameworks lab (python -m nocontent lab capture), started with
#   puma -e production -b tcp://127.0.0.1:PORT rails_204.ru
# Rails 6.1 from Debian (ruby-railties, ruby-actionpack) on Debian's Puma: an API-only application
# (ActionController::API, the middleware stack `rails new --api` gets) with its routes drawn here.
require "json"
require "logger"
require "action_controller/railtie"
require "puma/const"

class LabApplication < Rails::Application
  config.root = __dir__
  config.api_only = true
  config.eager_load = false
  config.logger = Logger.new(nil)
  # Nothing here is signed or encrypted; production refuses to start without a value.
  config.secret_key_base = "nocontent-lab-not-a-secret"
end

class LabController < ActionController::API
  # The idiomatic 204: no content, and nothing that describes any.
  def idiomatic
    head :no_content
  end

  # The common mistake: rendering JSON (here an empty object) with a 204 status.
  def mistake
    render json: {}, status: :no_content
  end

  def names
    render json: {
      "version" => Rails.version,
      "actionpack" => ActionPack::VERSION::STRING,
      "rack" => Rack.release,
      "puma" => Puma::Const::PUMA_VERSION,
      "ruby" => RUBY_VERSION,
      # What `head :no_content` does with its symbol, and the phrase Rails keeps for 204.
      "ActionDispatch::Response.new(:no_content).status" => ActionDispatch::Response.new(:no_content).status,
      "ActionDispatch::Response.new(204).message" => ActionDispatch::Response.new(204).message
    }
  end

  def ok
    render plain: "ok"
  end
end

LabApplication.initialize!
LabApplication.routes.draw do
  delete "/idiomatic", to: "lab#idiomatic"
  delete "/mistake", to: "lab#mistake"
  get "/names", to: "lab#names"
  get "/ok", to: "lab#ok"
end

run LabApplication
