# What Discourse's ./launcher computes from containers/<config>.yml before its shell reads it: the text its
# Ruby step prints, one "-e" line and one "NAME=value" line per environment variable.
#
# Written for these tests from the launcher's documented behaviour (discourse/discourse_docker `launcher`,
# set_template_info); the shell half (the `read` loop) is discourse/read_args.sh.
#
# - The launcher's input is one text: a first document "hack: true", then each template's text, then the
#   config file's, joined by the literal word _FILE_SEPERATOR_ (sic). Each file comes from the shell's
#   $(cat FILE): NUL bytes and trailing newlines are gone; echo adds one newline at the end. No templates
#   are merged here (the tests' files name none that exist).
# - Its Ruby splits the input at that word, strips each part, and YAML.load's it (the image's Psych, like
#   this host's: no aliases, no symbols). The `env` mappings are merged, last one winning, over
#   LANG=en_US.UTF-8. A Psych::SyntaxError prints its message and the line "*ERROR."; any other error
#   prints the part itself and the exception's inspect (which then become docker arguments).
# - Each pair is printed as "-e", a newline, and "#{name}=#{value}" (Ruby's to_s of both), lines joined by
#   newlines.
#
# stdin: JSON [{"path": FILE, "out": FILE}]; writes the printed text of each FILE to its "out".
require 'json'
require 'stringio'
require 'yaml'

SEPARATOR = '_FILE_SEPERATOR_'.freeze

def launcher_input(path)
  text = File.binread(path).delete("\0").force_encoding(Encoding::UTF_8)
  "hack: true #{SEPARATOR} #{text.sub(/\n+\z/, '')}\n"
end

def printed(input)
  out = StringIO.new
  env = { 'LANG' => 'en_US.UTF-8' }
  input.split(SEPARATOR).each do |part|
    part = part.strip
    begin
      env.merge!(YAML.load(part)['env'] || {})
    rescue Psych::SyntaxError => e
      out.puts e
      out.puts '*ERROR.'
    rescue StandardError => e
      out.puts part
      # `p e` in the launcher's `ruby -e` program: no error_highlight snippet (it has no source file)
      message = e.respond_to?(:original_message) ? e.original_message : e.message
      out.puts "#<#{e.class}: #{message}>"
    end
  end
  out.puts env.map { |name, value| "-e\n#{name}=#{value}" }.join("\n")
  out.string
end

JSON.parse($stdin.read).each do |request|
  File.binwrite(request['out'], printed(launcher_input(request['path'])))
end
