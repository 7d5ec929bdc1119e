# Debian's Redmine 5.0 sending its own test mail, run by `rails runner` inside a throw-away Redmine instance.
#
# Started once per test worker (tests/integration/test_app_connects_redmine_corebos.py). At start it migrates
# the instance's sqlite database (Redmine's own migrations, which create the admin user; nothing to do when the
# test copied the package's already migrated default database) and stores the
# sender the Redmine administrator chose (Setting.mail_from, kept in Redmine's database, not in the file).
# Then, per request line on stdin (JSON {"result": path}), a forked child does what a fresh Redmine does with
# the instance's config/configuration.yml (written by the test from the module's output just before):
# Redmine::Configuration.load (lib/redmine/configuration.rb: email_delivery -> ActionMailer::Base settings),
# then Mailer.deliver_test_email(admin) (app/models/mailer.rb: what Administration > Settings > Email
# notifications > "Send a test email" calls, delivery errors raised). The child writes {"sent": true} or
# {"error": ...} to the result path. Forking keeps each scenario's process state its own (OpenSSL adds a
# ca_file to the shared default store, which a later scenario in the same process would otherwise inherit).
# The parent answers "done" on stdout after each child exits.
require 'json'

ActiveRecord::Migration.verbose = false
ActiveRecord::MigrationContext.new(Rails.application.paths['db/migrate'].to_a,
                                   ActiveRecord::SchemaMigration).migrate
Setting.mail_from = ENV.fetch('REDMINE_TEST_MAIL_FROM')
admin = User.find_by_login('admin')
admin.mail # loaded before forking
ActiveRecord::Base.connection_handler.clear_all_connections!
$stdout.sync = true
puts 'ready'

$stdin.each_line do |line|
  request = JSON.parse(line)
  pid = fork do
    answer = begin
      ActiveRecord::Base.establish_connection
      Redmine::Configuration.load
      Mailer.deliver_test_email(admin)
      {sent: true, delivery_method: ActionMailer::Base.delivery_method.to_s}
    rescue Exception => e # rubocop:disable Lint/RescueException -- the child reports any failure
      {error: "#{e.class}: #{e.message}"}
    end
    File.write(request.fetch('result'), JSON.generate(answer))
    exit!(0)
  end
  Process.wait(pid)
  puts 'done'
end
