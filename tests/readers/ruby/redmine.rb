# Redmine's reading of config/configuration.yml (lib/redmine/configuration.rb): ERB, then YAML (Psych) with
# Symbol permitted, then 'default' merged shallowly with the environment's section, then every email_delivery
# entry symbolize_keys!'d (what ActionMailer receives).
#
# stdin: JSON array of {"path": "...", "env": "production"}; stdout: JSON array of {"values": {...}} or
# {"error": "..."}. Symbols come out as {"__symbol__": "name"}; hash keys as strings.
require 'erb'
require 'json'
require 'yaml'

def tag(object)
  case object
  when Hash then object.each_with_object({}) { |(key, value), out| out[key.to_s] = tag(value) }
  when Array then object.map { |value| tag(value) }
  when Symbol then { '__symbol__' => object.to_s }
  else object
  end
end

def read_configuration(path, env)
  yaml = YAML.safe_load(ERB.new(File.read(path)).result, permitted_classes: [Symbol], aliases: true)
  raise 'not a valid Redmine configuration file (not a mapping)' unless yaml.is_a?(Hash)
  conf = {}
  conf.merge!(yaml['default']) if yaml['default']
  conf.merge!(yaml[env]) if yaml[env]
  %w[delivery_method smtp_settings sendmail_settings].each do |key|
    if (value = conf.delete(key))
      conf['email_delivery'] ||= {}
      conf['email_delivery'][key] = value
    end
  end
  if conf['email_delivery'].is_a?(Hash)
    conf['email_delivery'].each_value do |value|
      value.transform_keys!(&:to_sym) if value.is_a?(Hash)
    end
  end
  conf
end

answers = JSON.parse($stdin.read).map do |request|
  { 'values' => tag(read_configuration(request['path'], request['env'] || 'production')) }
rescue Exception => e # rubocop:disable Lint/RescueException -- ERB may raise anything, even SyntaxError
  { 'error' => "#{e.class}: #{e.message}" }
end
$stdout.write(JSON.generate(answers))
