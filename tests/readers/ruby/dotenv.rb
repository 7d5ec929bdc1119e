# Ruby dotenv (Debian's ruby-dotenv): Dotenv::Environment.new(path, true) -- the parse Dotenv.load does; what it puts into ENV for a key that is
# not already set (Mastodon, Rails apps). Substitutions ($VAR, ${VAR}, $(command)) read the process ENV.
#
# stdin: JSON array of {"path": "..."}; stdout: JSON array of {"values": {...}} or {"error": "..."}.
require 'dotenv'
require 'json'

answers = JSON.parse($stdin.read).map do |request|
  { 'values' => Dotenv::Environment.new(request['path'], true).to_h }
rescue Exception => e # rubocop:disable Lint/RescueException
  { 'error' => "#{e.class}: #{e.message}" }
end
$stdout.write(JSON.generate(answers))
