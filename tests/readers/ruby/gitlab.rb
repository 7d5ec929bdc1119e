# GitLab Omnibus's reading of /etc/gitlab/gitlab.rb: Omnibus evaluates the file as Ruby against its
# configuration object (Mixlib::Config from_file = instance_eval of the file), where every top-level name
# (gitlab_rails, nginx, external_url ...) is a method. This reader does the same with a stand-in object: a bare
# name returns that name's hash (created on first use); a name called with arguments (`external_url 'x'`,
# `roles ['a']`) is recorded and ignored. Ruby's own rules decide everything else: quoting, escapes,
# interpolation, last assignment wins, syntax errors.
#
# stdin: JSON array of {"path": "...", "hashes": ["gitlab_rails", ...]}; stdout: JSON array of
# {"values": {hash: {key: value}}} or {"error": "..."}. Symbols come out as {"__symbol__": "name"}.
require 'json'

class OmnibusConfigStandIn < BasicObject
  def initialize
    @hashes = ::Hash.new { |all, name| all[name] = {} }
  end

  def __hashes
    @hashes
  end

  def method_missing(name, *args, &block)
    return @hashes[name.to_s] if args.empty? && block.nil?

    nil
  end

  def respond_to_missing?(_name, _private = false)
    true
  end
end

def tag(object)
  case object
  when Hash then object.each_with_object({}) { |(key, value), out| out[key.to_s] = tag(value) }
  when Array then object.map { |value| tag(value) }
  when Symbol then { '__symbol__' => object.to_s }
  else object
  end
end

answers = JSON.parse($stdin.read).map do |request|
  config = OmnibusConfigStandIn.new
  config.instance_eval(File.read(request['path'], encoding: 'UTF-8'), request['path'], 1)
  hashes = config.__hashes
  { 'values' => request['hashes'].to_h { |name| [name, tag(hashes.key?(name) ? hashes[name] : {})] } }
rescue Exception => e # rubocop:disable Lint/RescueException -- a broken gitlab.rb may raise anything
  { 'error' => "#{e.class}: #{e.message}" }
end
$stdout.write(JSON.generate(answers))
