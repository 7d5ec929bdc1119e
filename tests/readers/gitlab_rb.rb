# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# The real-Ruby reader of GitLab Omnibus's /etc/gitlab/gitlab.rb, for the tests.
#
# Omnibus loads gitlab.rb by evaluating it as Ruby against its configuration object (Mixlib::Config's
# from_file = instance_eval of the file), where every top-level name (gitlab_rails, nginx, external_url ...)
# is a method. This reader does the same with a stand-in object: a bare name returns that name's hash
# (created on first use), a name called with arguments (`external_url 'x'`, `roles ['a']`) is recorded.
# Usage: ruby gitlab_rb.rb FILE [HASH...]; prints {"HASH": {...}, ...} as JSON (default HASH: gitlab_rails).
require 'json'

class OmnibusConfigStandIn < BasicObject
  def initialize
    @hashes = ::Hash.new { |all, name| all[name] = {} }
    @calls = {}
  end

  def __hashes
    @hashes
  end

  def method_missing(name, *args, &block)
    return @hashes[name.to_s] if args.empty? && block.nil?
    @calls[name.to_s] = args
    nil
  end

  def respond_to_missing?(_name, _private = false)
    true
  end
end

path = ARGV.fetch(0)
wanted = ARGV.length > 1 ? ARGV[1..] : ['gitlab_rails']
config = OmnibusConfigStandIn.new
config.instance_eval(File.read(path, encoding: 'UTF-8'), path, 1)
hashes = config.__hashes
out = {}
wanted.each do |name|
  values = hashes.key?(name) ? hashes[name] : {}
  out[name] = values.transform_values { |v| v.is_a?(Symbol) ? ":#{v}" : v }
end
puts JSON.generate(out)
