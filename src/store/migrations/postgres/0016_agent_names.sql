-- The name an agent gives users (shown beside their replies in the widget and the
-- messaging apps; none: 「担当者」), and on each agent reply the name it was sent under.
ALTER TABLE users ADD COLUMN display_name TEXT;
ALTER TABLE messages ADD COLUMN author TEXT;
